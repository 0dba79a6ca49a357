/** What the scheduler decided: which host runs each deployment unit instance. */

export interface UnitInstance {
  /** Primary service of the deployment unit. */
  service: string;
  /** Instance number, 1-based; containers are named `<stack>-<service>-<n>`. */
  instance: number;
  host: string;
}

export interface StackPlacement {
  stack: string;
  /** Every unit instance the stack should have, sorted by service then instance. */
  instances: UnitInstance[];
  /** Why the stack cannot be scheduled; a stack with errors is not changed by the plan. */
  errors: string[];
  warnings: string[];
}
