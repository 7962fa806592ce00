/**
 * The files of test/e2e/shared/, one after another in this process, on the run's shared stack: a flow
 * that checks a client mistake "changes nothing" in the merged view needs no other writer meanwhile.
 * Each file also runs on its own (it then starts the shared stack itself).
 */
import './shared/flow.test.ts';
import './shared/fuzz.test.ts';
import './shared/paging.test.ts';
