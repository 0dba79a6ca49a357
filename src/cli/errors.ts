/** An error in how the command was called: printed as one line, no stack trace. */
export class UsageError extends Error {}
