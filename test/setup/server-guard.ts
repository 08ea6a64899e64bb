/**
 * Run before every test file (a setup file), isolated or not: its afterAll is registered before
 * the file's own hooks, so it runs after them (vitest runs afterAll hooks in reverse order) and
 * fails the file that left a server running (helpers/server.ts).
 */
import { afterAll } from 'vitest';
import { killLeftServers } from '../helpers/server.js';

afterAll(killLeftServers);
