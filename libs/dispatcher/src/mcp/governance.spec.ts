import { listFiltersFor, streamListFilters, ungovernableMessages, type McpGovernance } from './governance';
import { filterAnswer } from './list-filtering';
import { readJsonRpc, type McpMessage } from './json-rpc';

/** A governance hiding `shell` from tools/list and `secret` from prompts/list; every call allowed. */
const hidden: Record<string, string> = { 'tools/list': 'shell', 'prompts/list': 'secret' };
const governance: McpGovernance = {
  decide: () => ({ decision: 'allowed' }),
  listFilter: (method) => (Object.hasOwn(hidden, method) ? (name) => name !== hidden[method] : undefined),
};

function messages(json: string): McpMessage[] {
  const read = readJsonRpc(Buffer.from(json));
  if (read.kind !== 'messages') throw new Error(read.reason);
  return read.messages;
}

describe('ungovernableMessages', () => {
  it.each([
    ['{"jsonrpc":"2.0","id":1,"method":["tools/call"]}', 'must be a string'],
    ['{"jsonrpc":"2.0","id":1,"method":null}', 'must be a string'],
    ['{"jsonrpc":"2.0","method":"tools/list"}', 'must have a string or number id'],
    ['{"jsonrpc":"2.0","id":null,"method":"Tools/List"}', 'tools/list must have'],
    ['{"jsonrpc":"2.0","id":false,"method":"prompts/list"}', 'must have a string or number id'],
    ['[{"id":1,"method":"tools/list"},{"id":"1","method":"prompts/list"}]', 'have the id 1'],
  ])('refuses %s', (json, problem) => {
    expect(ungovernableMessages(governance, messages(json))).toContain(problem);
  });

  it.each([
    '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    '{"jsonrpc":"2.0","method":"resources/list"}', // nothing hidden there: no filter, no id needed
    '[{"id":1,"method":"tools/list"},{"id":2,"method":"prompts/list"},{"id":1,"method":"ping"}]',
    '{"jsonrpc":"2.0","id":1,"result":{}}', // a client's answer to a server request
  ])('lets %s through', (json) => {
    expect(ungovernableMessages(governance, messages(json))).toBeUndefined();
  });
});

describe('listFiltersFor', () => {
  it('keys a differently-cased list method as the method it spells', () => {
    const lists = listFiltersFor(governance, messages('{"jsonrpc":"2.0","id":7,"method":"TOOLS/list"}'));
    expect(lists?.byId.get('7')?.method).toBe('tools/list');
  });

  it.each(['tools/list ', '\ttools/list', 'tools/list\u0000junk'])('keys %j as tools/list', (method) => {
    const lists = listFiltersFor(governance, messages(JSON.stringify({ jsonrpc: '2.0', id: 8, method })));
    expect(lists?.byId.get('8')?.method).toBe('tools/list');
  });
});

describe('streamListFilters', () => {
  it('filters every list a GET stream carries, whatever its id', () => {
    const lists = streamListFilters(governance)!;
    expect([...lists.stream!.keys()]).toEqual(['tools/list', 'prompts/list']);
    const answer = {
      jsonrpc: '2.0',
      id: 'replayed',
      result: { tools: [{ name: 'echo' }, { name: 'shell' }], prompts: [{ name: 'secret' }] },
    };
    expect(filterAnswer(answer, lists).changed).toBe(true);
    expect(answer.result).toEqual({ tools: [{ name: 'echo' }], prompts: [] });
  });

  it('is undefined when the policy hides nothing', () => {
    expect(streamListFilters({ ...governance, listFilter: () => undefined })).toBeUndefined();
  });
});
