// Every limit of the IMAP door, in one place.
import { MAX_MESSAGE_BYTES } from '../../core/mail/index.ts';

export const IMAP_LIMITS = {
  /** APPENDLIMIT: the largest message APPEND accepts (imap-core refuses a bigger literal with NO [TOOBIG]) */
  messageBytes: MAX_MESSAGE_BYTES,
  /** a command line (without its literals); a longer one ends the connection */
  lineBytes: 64 * 1024,
  /** a whole command with its literals, APPEND's message aside */
  commandBytes: 1024 * 1024,
  /** LITERAL- (RFC 7888): a non-synchronizing literal {n+} may have at most so many bytes */
  nonSyncLiteralBytes: 4096,
  /** an idle connection (not in IDLE) is closed after this */
  socketTimeoutMs: 30 * 60 * 1000,
  /** IDLE is ended after this (clients re-issue it well before; RFC 2177 asks for at least 29 minutes) */
  idleTimeoutMs: 30 * 60 * 1000,
  /** messages read from the store per page of a FETCH */
  fetchPage: 250,
  /** messages whose bytes a FETCH reads ahead of the one it writes, at most */
  readAhead: 32,
  /** and at most so many bytes of them (a message bigger than this is read alone) */
  readAheadBytes: 8 * 1024 * 1024,
  /** per page of a FETCH of flags, dates and sizes only */
  fetchSummaryPage: 2_000,
  /** a BYE ending a connection waits at most this long for the responses queued before it to leave (a client not reading) */
  byeFlushMs: 5_000,
  /** the time a stopping server lets connections finish, at least */
  minCloseMs: 1,
} as const;
