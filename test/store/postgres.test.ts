// The store conformance suite on PostgreSQL (127.0.0.1:5432, see test/support/store.ts).
import { BACKENDS } from '../support/store.ts';
import { storeConformance } from './conformance.ts';

if (BACKENDS.includes('postgres')) storeConformance('postgres');
