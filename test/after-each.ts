import { runCleanup } from './helpers/cleanup';

afterEach(runCleanup);
