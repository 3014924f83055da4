// The core's errors. Store errors are re-exported so that a door imports every
// error it renders from here; the core adds the ones only it can raise.
export {
  Conflict, LimitReached, NotFound, PreconditionFailed, QuotaExceeded, StoreError, StoreUnavailable,
} from '../store/errors.ts';

/** `authorize` said no; `reason` says why in words a user can read. */
export class Forbidden extends Error {
  override name = 'Forbidden';
}

/** A value given by a user or a client is not acceptable; the message says which and why. */
export class InvalidInput extends Error {
  override name = 'InvalidInput';
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}
