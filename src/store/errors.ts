// Errors the store raises. Each names its cause; every door renders them in its
// own way (IMAP NO [OVERQUOTA], SMTP 452 4.2.2, HTTP 507, ...). The core adds its
// own (Forbidden, InvalidInput) in core/errors.ts.

export type StoreErrorCode =
  | 'not-found'
  | 'conflict'
  | 'precondition-failed'
  | 'quota-exceeded'
  | 'limit-reached'
  | 'unavailable';

export class StoreError extends Error {
  override name = 'StoreError';
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** The thing asked for does not exist. */
export class NotFound extends StoreError {
  override name = 'NotFound';
  constructor(message: string) { super('not-found', message); }
}

/** A name or address is already taken, or the state forbids the change. */
export class Conflict extends StoreError {
  override name = 'Conflict';
  constructor(message: string) { super('conflict', message); }
}

/** If-Match / If-None-Match did not hold. */
export class PreconditionFailed extends StoreError {
  override name = 'PreconditionFailed';
  constructor(message: string) { super('precondition-failed', message); }
}

/** The write would take the space over its quota; nothing was written. */
export class QuotaExceeded extends StoreError {
  override name = 'QuotaExceeded';
  readonly usedBytes: number;
  readonly limitBytes: number;
  readonly neededBytes: number;
  constructor(message: string, used: number, limit: number, needed: number) {
    super('quota-exceeded', message);
    this.usedBytes = used;
    this.limitBytes = limit;
    this.neededBytes = needed;
  }
}

/** A plan capacity (groups, members) is reached. */
export class LimitReached extends StoreError {
  override name = 'LimitReached';
  readonly limit: number;
  constructor(message: string, limit: number) {
    super('limit-reached', message);
    this.limit = limit;
  }
}

/** The database cannot be reached or opened. */
export class StoreUnavailable extends StoreError {
  override name = 'StoreUnavailable';
  constructor(message: string, options?: ErrorOptions) { super('unavailable', message, options); }
}
