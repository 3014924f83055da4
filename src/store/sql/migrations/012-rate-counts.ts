// Counters of the login throttle and of the hourly limits (sign-ups, password
// resets, sending), shared by every process on the database and kept across
// restarts. One row per key: the events counted in the window that began with
// its first event, and when that window ends. A row whose window has ended is
// dead: the next event starts it again, the hourly maintenance removes it.
import type { Migration } from './index.ts';

export const rateCounts: Migration = {
  version: 12,
  name: 'rate counters',
  sql: `
CREATE TABLE rate_counts (
  key TEXT PRIMARY KEY,
  hits {{big}} NOT NULL,
  window_ends {{big}} NOT NULL
);
CREATE INDEX rate_counts_window_ends ON rate_counts (window_ends);
`,
};
