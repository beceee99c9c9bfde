import type { McpListFilters } from './governance';
import { filterAnswer } from './list-filtering';

const keep = (name: string) => !name.includes('secret');
const lists = (method: string, id = '1'): McpListFilters => ({ byId: new Map([[id, { method, keep }]]) });

describe('filterAnswer', () => {
  it('filters each list by its naming field', () => {
    const cases: Array<[string, string, string]> = [
      ['tools/list', 'tools', 'name'],
      ['prompts/list', 'prompts', 'name'],
      ['resources/list', 'resources', 'uri'],
      ['resources/templates/list', 'resourceTemplates', 'uriTemplate'],
    ];
    for (const [method, key, by] of cases) {
      const answer = {
        jsonrpc: '2.0',
        id: 1,
        result: { [key]: [{ [by]: 'a' }, { [by]: 'secret-b' }], nextCursor: 'c' },
      };
      expect(filterAnswer(answer, lists(method))).toEqual({ changed: true });
      expect(answer.result).toEqual({ [key]: [{ [by]: 'a' }], nextCursor: 'c' });
    }
  });

  it('leaves answers to other ids, notifications and other lists alone', () => {
    const other = { jsonrpc: '2.0', id: 2, result: { tools: [{ name: 'secret' }] } };
    const notification = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' };
    const wrongList = { jsonrpc: '2.0', id: 1, result: { prompts: [{ name: 'secret' }] } };
    for (const value of [other, notification, wrongList, 'text', null, 5])
      expect(filterAnswer(value, lists('tools/list'))).toEqual({ changed: false });
    expect(other.result.tools).toHaveLength(1);
  });

  it('filters a message with the filtered id even when it also has a method (no list slips through)', () => {
    const hybrid = { jsonrpc: '2.0', id: 1, method: 'x', result: { tools: [{ name: 'secret' }] }, error: { code: 1 } };
    expect(filterAnswer(hybrid, lists('tools/list'))).toEqual({ changed: true });
    expect(hybrid.result.tools).toEqual([]);
  });

  it('matches a string id with a numeric one of the same text, and reads the first error code', () => {
    const batch = [
      { jsonrpc: '2.0', id: '7', error: { code: -32602, message: 'bad' } },
      { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'worse' } },
      { jsonrpc: '2.0', id: 7, result: { tools: [{ name: 'secret' }, { name: 'ok' }] } },
    ];
    expect(filterAnswer(batch, lists('tools/list', '7'))).toEqual({ changed: true, errorCode: -32602 });
    expect(batch[2].result?.tools).toEqual([{ name: 'ok' }]);
  });
});
