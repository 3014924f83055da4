// How each collection an account reaches is named inside its CalDAV/CardDAV
// home (/dav/calendars/ADDRESS/SEGMENT/): the DAV door serves these names and
// the web site's Sharing page shows them, so both take them from here.
// An own collection is named by its own name; these names are never an own
// collection's (the DAV door refuses to make one).
export const homeSegment = {
  /** a collection of a group the account is a member of */
  group: (collectionId: number): string => `group-${collectionId}`,
  /** a collection shared with one of the account's groups */
  shared: (collectionId: number): string => `shared-${collectionId}`,
  /** a group's member directory */
  directory: (groupId: number): string => `directory-${groupId}`,
} as const;

/** The names reserved for the segments above. */
export const RESERVED_HOME_SEGMENT = /^(group|shared|directory)-\d+$/;
