/**
 * The audit log: newest first, filtered by actor, action, target and time, as JSON pages or CSV.
 * The store filters by actor and target (indexed); `action` and `since` are applied while paging here, with a
 * bound on the rows scanned per request, so a rare action never makes one request read the whole log.
 */
import { type AuditEntry, listAudit } from '../../store/audit.ts';
import type { ApiApp, RouteContext } from '../route-context.ts';
import { auditQuery } from '../schemas.ts';

/** Rows one request reads at most while filtering by action or time. */
export const AUDIT_SCAN_LIMIT = 5_000;

const CSV_COLUMNS = ['id', 'at', 'actor', 'action', 'targetKind', 'target', 'before', 'after'] as const;

/** Returns one CSV field, quoted when needed; a leading formula character is neutralised for spreadsheets. */
function csvField(value: unknown): string {
  let text =
    value === null || value === undefined
      ? ''
      : value instanceof Date
        ? value.toISOString()
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Returns audit entries as CSV text with a header line. */
export function auditToCsv(entries: readonly AuditEntry[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of entries) lines.push(CSV_COLUMNS.map((c) => csvField(e[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Registers `GET /v1/audit`. */
export function registerAuditRoutes(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/v1/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit log, newest first (filters actor/action/target/since; ?format=csv)',
        querystring: auditQuery,
      },
      config: { access: 'viewer' },
    },
    async (request, reply) => {
      const q = request.query;
      const limit = q.limit ?? 100;
      const since = q.since === undefined ? undefined : new Date(q.since);
      const items: AuditEntry[] = [];
      let beforeId = q.cursor;
      let scanned = 0;
      let exhausted = false;
      while (items.length < limit && scanned < AUDIT_SCAN_LIMIT) {
        const batch = await listAudit(ctx.store.db, {
          actor: q.actor,
          target: q.target,
          targetKind: q.targetKind,
          beforeId,
          limit: q.action === undefined && since === undefined ? limit - items.length : 500,
        });
        if (batch.length === 0) {
          exhausted = true;
          break;
        }
        for (const entry of batch) {
          scanned += 1;
          beforeId = entry.id;
          if (since !== undefined && entry.at < since) {
            exhausted = true;
            break;
          }
          if (q.action !== undefined && entry.action !== q.action) continue;
          items.push(entry);
          if (items.length === limit) break;
        }
        if (exhausted) break;
      }
      const nextCursor = exhausted || beforeId === undefined ? null : String(beforeId);
      if (q.format === 'csv') {
        reply.type('text/csv; charset=utf-8');
        if (nextCursor) reply.header('X-Next-Cursor', nextCursor);
        return reply.send(auditToCsv(items));
      }
      return { items, nextCursor };
    },
  );
}
