/**
 * A plan: ordered Docker operations with dependencies and causes, computed without I/O. A create's
 * body (`container`) and `configHash` are built when first read, from its container spec
 * (./operations.ts): the plan decides which container goes where and why.
 */
import type { RollbackRecord, UpgradeAttempt } from '../model/upgrade.js';

export const OperationKind = {
  CreateNetwork: 'CreateNetwork',
  CreateVolume: 'CreateVolume',
  PullImage: 'PullImage',
  CreateContainer: 'CreateContainer',
  ConnectNetwork: 'ConnectNetwork',
  StartContainer: 'StartContainer',
  StopContainer: 'StopContainer',
  RemoveContainer: 'RemoveContainer',
  /** Moves a replaced container out of its name's way during an upgrade, or back on rollback. */
  RenameContainer: 'RenameContainer',
  RemoveNetwork: 'RemoveNetwork',
  AwaitReady: 'AwaitReady',
} as const;
export type OperationKind = (typeof OperationKind)[keyof typeof OperationKind];

/** The body of Docker's `POST /containers/create`, plus the container name. */
export interface ContainerCreateSpec {
  name: string;
  Image: string;
  Labels: Record<string, string>;
  HostConfig: Record<string, unknown>;
  [key: string]: unknown;
}

export interface NetworkSpec {
  Name: string;
  /** bridge (one host) or overlay (the swarm, created through a manager). */
  Driver: string;
  /** Set for overlay networks: plain containers may join them. */
  Attachable?: boolean;
  Labels: Record<string, string>;
}

/** Another stack's network a container joins after it is created, for its external_links. */
export interface NetworkJoin {
  network: string;
  /** The stack that owns the network. */
  stack: string;
  /** Docker links `<service>.<stack>:<alias>`: names only this container resolves there. */
  links: string[];
}

/** The endpoint settings of `POST /networks/{id}/connect`. */
export interface EndpointSpec {
  Aliases?: string[];
  Links?: string[];
}

export interface VolumeSpec {
  Name: string;
  Driver: string;
  DriverOpts: Record<string, string>;
  Labels: Record<string, string>;
}

interface OperationBase {
  /** `#1`, `#2`, … in plan order. */
  id: string;
  host: string;
  /** The container, network, volume or image the operation acts on. */
  target: string;
  stack: string;
  /** Operations that must succeed first. */
  dependsOn: string[];
  /** Why: "scale 3 → 5", "config changed: image", "stack removed from git", … */
  cause: string;
  /**
   * The deployment unit instance (`<stack>-<service>-<n>`) a container operation belongs to.
   * Operations of one unit are replaced together; rolling upgrades batch by this.
   */
  unit?: string;
  /**
   * Part of an upgrade transaction (its pulls, its batches' stops, renames, creates, starts and
   * gates): when it fails, the stack is rolled back (reconcile/). Absent on everything else.
   */
  upgrade?: true;
}

export type Operation =
  | (OperationBase & { kind: 'CreateNetwork'; network: NetworkSpec })
  | (OperationBase & { kind: 'RemoveNetwork' })
  | (OperationBase & { kind: 'CreateVolume'; volume: VolumeSpec })
  | (OperationBase & { kind: 'PullImage' })
  /** `container` and `configHash` are own, enumerable accessors, built from the spec when first read (JSON, spread and apply see plain values). */
  | (OperationBase & { kind: 'CreateContainer'; container: ContainerCreateSpec; configHash: string })
  | (OperationBase & { kind: 'ConnectNetwork'; network: string; endpoint: EndpointSpec; containerId?: string })
  | (OperationBase & { kind: 'StartContainer'; containerId?: string })
  | (OperationBase & { kind: 'StopContainer'; containerId: string })
  | (OperationBase & { kind: 'RemoveContainer'; containerId: string })
  | (OperationBase & { kind: 'RenameContainer'; containerId: string; newName: string })
  | (OperationBase & { kind: 'AwaitReady'; gate: ReadinessGate });

/**
 * The gate after a batch of an upgrade: the new container `target` must be healthy by its checks
 * (rancher-compose health_check, Docker's HEALTHCHECK), or with no check run without a restart
 * for `minReadyMs`, within `timeoutMs`; then the next batch waits `thenWaitMs` more.
 */
export interface ReadinessGate {
  /** The service of the container waited for. */
  service: string;
  /** 1-based, of `batches`, counted per service; 0 (of 0) for a unit whose upgrade an interruption left half done. */
  batch: number;
  batches: number;
  minReadyMs: number;
  timeoutMs: number;
  thenWaitMs: number;
}

export type NoteLevel = 'error' | 'degraded' | 'warning' | 'info';

/** Something about a stack that is not an operation: why it is left alone, keys not applied, volumes kept. */
export interface PlanNote {
  level: NoteLevel;
  message: string;
}

export interface StackPlan {
  stack: string;
  /** false when nothing of the stack may be changed (render or scheduling failed). */
  actionable: boolean;
  notes: PlanNote[];
  /** The plan upgrades the stack (or goes on with an upgrade not finished: in progress elsewhere, or interrupted): what a failure would roll back from. */
  upgrade?: UpgradeAttempt;
  /** The stack's desired state was tried and rolled back: the plan restores or keeps the version that ran before. */
  rolledBack?: RollbackRecord;
}

export type { RollbackRecord, UpgradeAttempt } from '../model/upgrade.js';

export interface Plan {
  operations: Operation[];
  /** Every stack the plan looked at (desired, failed, or found on a host), by name. */
  stacks: StackPlan[];
  /** About the hosts rather than one stack: a host outside the swarm, the overlay address pool. */
  hosts?: HostNote[];
}

export interface HostNote extends PlanNote {
  host: string;
}
