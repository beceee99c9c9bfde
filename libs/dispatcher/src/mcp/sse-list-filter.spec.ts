import type { McpListFilters } from './governance';
import { SseListFilter } from './sse-list-filter';

/** Filters for request ids 1 (tools/list) and "p" (prompts/list): only names starting with "ok" stay. */
const lists: McpListFilters = {
  byId: new Map([
    ['1', { method: 'tools/list', keep: (name: string) => name.startsWith('ok') }],
    ['p', { method: 'prompts/list', keep: (name: string) => name.startsWith('ok') }],
  ]),
};

const toolsAnswer = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  result: { tools: [{ name: 'ok-read' }, { name: 'secret-write' }, { name: 'ok-list' }] },
});
const filteredTools = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  result: { tools: [{ name: 'ok-read' }, { name: 'ok-list' }] },
});
const progress = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } });

interface Run {
  out: string;
  dropped: string[];
  filter: SseListFilter;
  ok: boolean;
}

/** Feeds `input` cut at `cuts` (byte offsets) and collects what the client would get. */
function run(input: string, cuts: number[] = [], maxEventBytes = 1 << 20): Run {
  const bytes = Buffer.from(input);
  const emitted: Buffer[] = [];
  const dropped: string[] = [];
  const filter = new SseListFilter(lists, maxEventBytes, {
    emit: (b) => emitted.push(Buffer.from(b)),
    dropped: (reason) => dropped.push(reason),
  });
  let ok = true;
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    ok = filter.push(bytes.subarray(from, cut)) && ok;
    from = cut;
  }
  return { out: Buffer.concat(emitted).toString(), dropped, filter, ok };
}

/** Every way of cutting `input` in two and in three (every byte boundary), with the same result. */
function everyCut(input: string, expected: string): void {
  const length = Buffer.byteLength(input);
  for (let a = 0; a <= length; a++) {
    expect(run(input, [a]).out).toBe(expected);
    for (let b = a; b <= length; b += 7) expect(run(input, [a, b]).out).toBe(expected);
  }
}

describe('SseListFilter', () => {
  it('filters the answer to a filtered id into one data line; other events pass byte for byte', () => {
    const input = `data: ${progress}\n\nid: 7\nevent: message\ndata: ${toolsAnswer}\n\n: keep-alive\n\n`;
    const expected = `data: ${progress}\n\nid: 7\nevent: message\ndata: ${filteredTools}\n\n: keep-alive\n\n`;
    expect(run(input).out).toBe(expected);
  });

  it('gives the same output whatever the chunk boundaries (multi-byte characters, CRLF, CR)', () => {
    const unicode = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { data: 'héllo ✓' } });
    everyCut(
      `data: ${unicode}\r\n\r\ndata: ${toolsAnswer}\r\n\r\n`,
      `data: ${unicode}\r\n\r\ndata: ${filteredTools}\n\n`,
    );
    everyCut(
      `data: ${unicode}\r\rretry: 10\rdata: ${toolsAnswer}\r\r`,
      `data: ${unicode}\r\rretry: 10\ndata: ${filteredTools}\n\n`,
    );
  });

  it('keeps a CRLF split between chunks with the event it ends', () => {
    const input = `data: ${progress}\r\n\r\ndata: ${progress}\r\n\r\n`;
    const at = input.indexOf('\r\n\r\n') + 3; // between the last \r and \n of the first event
    expect(run(input, [at]).out).toBe(input);
    const answer = `data: ${toolsAnswer}\r\n\r\ndata: ${progress}\n\n`;
    expect(run(answer, [answer.indexOf('\r\n\r\n') + 3]).out).toBe(`data: ${filteredTools}\n\ndata: ${progress}\n\n`);
  });

  it('joins multi-line data before parsing and keeps id, event, retry and comments in order', () => {
    const at = toolsAnswer.indexOf('"result"'); // between two tokens: the line break is JSON whitespace
    const [head, tail] = [toolsAnswer.slice(0, at), toolsAnswer.slice(at)];
    const input = `: opening\nid: 3\ndata:${head}\nretry: 500\ndata: ${tail}\nevent: message\n\n`;
    expect(run(input).out).toBe(`: opening\nid: 3\ndata: ${filteredTools}\nretry: 500\nevent: message\n\n`);
  });

  it('passes the answer unchanged when nothing is hidden, and answers to other ids untouched', () => {
    const allowed = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'ok-read' }] } });
    const other = JSON.stringify({ jsonrpc: '2.0', id: 2, result: { tools: [{ name: 'secret-write' }] } });
    const input = `data:  ${allowed}\n\ndata:${other}\n\n`;
    expect(run(input).out).toBe(input);
  });

  it('filters a batch, prompts by name, and drops items it cannot judge', () => {
    const batch = JSON.stringify([
      { jsonrpc: '2.0', id: 'p', result: { prompts: [{ name: 'ok-a' }, { name: 'no' }, { title: 'nameless' }, 3] } },
      { jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'ok-read' }] } },
    ]);
    const expected = JSON.stringify([
      { jsonrpc: '2.0', id: 'p', result: { prompts: [{ name: 'ok-a' }] } },
      { jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'ok-read' }] } },
    ]);
    expect(run(`data: ${batch}\n\n`).out).toBe(`data: ${expected}\n\n`);
  });

  it('drops an event whose data is not JSON and says why; events without data pass', () => {
    const result = run(`data: not json\n\n: comment\n\nid: 4\n\ndata: ${toolsAnswer}\n\n`);
    expect(result.out).toBe(`: comment\n\nid: 4\n\ndata: ${filteredTools}\n\n`);
    expect(result.dropped).toHaveLength(1);
  });

  it('emits each event as soon as its blank line arrives (nothing held for the next one)', () => {
    const emitted: string[] = [];
    const filter = new SseListFilter(lists, 1 << 20, { emit: (b) => emitted.push(b.toString()), dropped: () => {} });
    filter.push(Buffer.from(`data: ${progress}\n`));
    expect(emitted).toEqual([]);
    filter.push(Buffer.from(`\ndata: ${toolsAnswer.slice(0, 10)}`));
    expect(emitted).toEqual([`data: ${progress}\n\n`]);
    expect(filter.unfinished).toBe(true);
    filter.push(Buffer.from(`${toolsAnswer.slice(10)}\n\n`));
    expect(emitted).toEqual([`data: ${progress}\n\n`, `data: ${filteredTools}\n\n`]);
    expect(filter.unfinished).toBe(false);
  });

  it('refuses an event over the bound, in one chunk or several', () => {
    const big = `data: ${'x'.repeat(200)}\n\n`;
    expect(run(big, [], 100).ok).toBe(false);
    expect(run(big, [50, 120], 100).ok).toBe(false);
    expect(run(big, [50, 120], 1000).ok).toBe(true);
  });

  it('notes the first JSON-RPC error code it reads', () => {
    const error = JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } });
    const result = run(`data: ${progress}\n\ndata: ${error}\n\n`);
    expect(result.filter.errorCode).toBe(-32601);
    expect(result.out).toBe(`data: ${progress}\n\ndata: ${error}\n\n`);
  });
});
