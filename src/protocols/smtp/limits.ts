// Bounds of the SMTP door.
export const SMTP_LIMITS = {
  /** longest command line (RFC 5321 asks for at least 512) */
  commandBytes: 4096,
  /** recipients per message */
  recipients: 100,
  /** silence after which a connection is closed, mid-DATA included */
  socketTimeoutMs: 120_000,
  /** connections at once per listener */
  clients: 1000,
  /** commands before authentication on submission ports */
  unauthenticatedCommands: 20,
  /** how long all of SPF, DKIM, DMARC and ARC may take for one message */
  authenticityMs: 8_000,
  /** one DNS query */
  dnsMs: 2_000,
} as const;
