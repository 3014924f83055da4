// The records doors work with, re-exported so that a protocol adapter imports
// from core only (imports flow protocols → core → store).
export type {
  Account, Collection, DavLock, Grant, Group, Item, ItemIndex, Membership, Plan, Right, Session, Space, Tool,
} from '../store/types.ts';
