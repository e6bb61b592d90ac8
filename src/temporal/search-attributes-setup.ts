import type { Connection } from '@temporalio/client';
import { customSearchAttributes } from '../search-attributes';
import { grpcCode, TemporalProblem, type TemporalTarget } from './errors';
import { isTemporalCloud, searchAttributeCommands } from './search-attribute-commands';

/** IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD of Temporal's API (the enum lives in @temporalio/proto). */
const KEYWORD = 2;
const PERMISSION_DENIED = 7;
const UNIMPLEMENTED = 12;
const ALREADY_EXISTS = 6;
const UNAUTHENTICATED = 16;

const refused = (err: unknown) => [PERMISSION_DENIED, UNIMPLEMENTED, UNAUTHENTICATED].includes(grpcCode(err) ?? -1);

/**
 * Makes sure the namespace has the project's search attributes (BatchId, VideoStatus, Template,
 * Model), registering the missing ones through the operator API. Idempotent and safe to race:
 * several workers and CLIs may start at once. Where registering is not allowed (Temporal Cloud,
 * a cluster that denies operator calls) it throws before anything starts, with the exact commands.
 */
export async function ensureSearchAttributes(connection: Connection, target: TemporalTarget): Promise<string[]> {
  const wanted = customSearchAttributes.map((a) => a.name);
  let present: Record<string, number>;
  try {
    const listed = await connection.operatorService.listSearchAttributes({ namespace: target.namespace });
    present = (listed.customAttributes ?? {}) as Record<string, number>;
  } catch (err) {
    if (!refused(err)) throw err;
    // No operator API here (Temporal Cloud): a visibility query tells which attributes exist.
    const missing = await missingByQuery(connection, target.namespace, wanted);
    if (missing.length) throw cannotRegister(target, missing);
    return [];
  }
  const wrongType = wanted.filter((name) => present[name] !== undefined && present[name] !== KEYWORD);
  if (wrongType.length)
    throw new TemporalProblem(
      `Namespace ${target.namespace} at ${target.address} has search attribute${wrongType.length > 1 ? 's' : ''} ${wrongType.join(', ')} ` +
        'of another type than Keyword; lesson-forge needs them as Keyword. Use another namespace (TEMPORAL_NAMESPACE), or remove and create them again:\n' +
        searchAttributeCommands(target, wrongType),
    );
  const missing = wanted.filter((name) => present[name] === undefined);
  if (missing.length === 0) return [];
  if (isTemporalCloud(target.address)) throw cannotRegister(target, missing);
  try {
    await connection.operatorService.addSearchAttributes({
      namespace: target.namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
    });
  } catch (err) {
    if (refused(err)) throw cannotRegister(target, missing);
    // Another worker or CLI registered them a moment ago: fine if they are there now.
    if (grpcCode(err) !== ALREADY_EXISTS) throw err;
  }
  return missing;
}

async function missingByQuery(connection: Connection, namespace: string, names: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query: `${name} = "lesson-forge-probe"` });
    } catch (err) {
      if (refused(err)) throw err;
      missing.push(name);
    }
  }
  return missing;
}

function cannotRegister(target: TemporalTarget, missing: string[]): TemporalProblem {
  return new TemporalProblem(
    `Namespace ${target.namespace} at ${target.address} lacks the search attribute${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, ` +
      'and this connection may not register them. Nothing was started. Register them once (an admin of the namespace), then run the command again:\n' +
      searchAttributeCommands(target, missing),
  );
}
