// The store conformance suite on SQLite.
import { BACKENDS } from '../support/store.ts';
import { storeConformance } from './conformance.ts';

if (BACKENDS.includes('sqlite')) storeConformance('sqlite');
