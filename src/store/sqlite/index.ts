import type { Store } from '../types.js';
import { sqliteAudit } from './audit.js';
import { sqliteChangeBus } from './changes.js';
import { openDatabase } from './database.js';
import { sqliteDirectory } from './directory.js';
import { sqliteDomains, sqliteTrust } from './domains.js';
import { sqliteConversations } from './conversations.js';
import { sqliteFolders } from './folders.js';
import { sqliteLoginThrottle } from './login-throttle.js';
import { sqliteMailboxes } from './mailboxes.js';
import { sqliteMessages } from './messages.js';
import { sqliteNotificationQueue, sqliteRelayQueue } from './queues.js';
import { sqliteRecord } from './record.js';
import { sqliteRetention } from './retention.js';
import { sqliteWebSessions } from './web-sessions.js';

export function openSqliteStore(dataDir: string): Store {
  const db = openDatabase(dataDir);
  const changes = sqliteChangeBus(db);
  return {
    domains: sqliteDomains(db),
    trust: sqliteTrust(db),
    mailboxes: sqliteMailboxes(db),
    directory: sqliteDirectory(db),
    audit: sqliteAudit(db),
    folders: sqliteFolders(db, changes),
    messages: sqliteMessages(db, changes),
    changes,
    conversations: sqliteConversations(db),
    relay: sqliteRelayQueue(db),
    notifications: sqliteNotificationQueue(db),
    record: sqliteRecord(db),
    retention: sqliteRetention(db, changes),
    loginThrottle: sqliteLoginThrottle(db),
    webSessions: sqliteWebSessions(db),
    async close() {
      changes.close();
      db.close();
    },
  };
}
