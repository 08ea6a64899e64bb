/**
 * Every IMAP command the server knows, one CommandSpec per command (a file may hold a tiny
 * group). The session finds a command here by name; CAPABILITY lists an extension only when
 * its commands are here (capabilities.ts). To add a command: one import line below and its
 * spec in COMMANDS.
 */
import type { CommandSpec } from '../command.js';
import { authenticate } from './authenticate.js';
import { capability } from './capability.js';
import { enable } from './enable.js';
import { id } from './id.js';
import { idle } from './idle.js';
import { login } from './login.js';
import { logout } from './logout.js';
import { namespace } from './namespace.js';
import { check, noop } from './noop.js';
import { starttls } from './starttls.js';
import { append } from './append.js';
import { close, unselect } from './close.js';
import { copy, move } from './copy.js';
import { create } from './create.js';
import { del } from './delete.js';
import { expunge } from './expunge.js';
import { listCommand, lsub } from './list.js';
import { rename } from './rename.js';
import { examine, select } from './select.js';
import { status } from './status.js';
import { subscribe, unsubscribe } from './subscribe.js';
import { search } from './search.js';
import { fetchCommand } from './fetch.js';
import { store } from './store.js';

export const COMMANDS: readonly CommandSpec[] = [
  capability,
  noop,
  logout,
  starttls,
  login,
  authenticate,
  id,
  enable,
  namespace,
  idle,
  check,
  select,
  examine,
  create,
  del,
  rename,
  subscribe,
  unsubscribe,
  listCommand,
  lsub,
  status,
  append,
  close,
  unselect,
  expunge,
  copy,
  move,
  search,
  fetchCommand,
  store,
];
