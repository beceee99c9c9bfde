import { Logger } from '@nestjs/common';
import { ResourcePolicy } from './resource-policy';

describe('ResourcePolicy', () => {
  afterEach(() => jest.restoreAllMocks());

  it('asks the RESOURCE_LOOKUP', async () => {
    const policy = new ResourcePolicy({
      isAllowed: (r) => r === 'https://mcp.example.test/mcp',
      membershipSubjects: () => ({ orgs: [], teams: [] }),
    });
    expect(await policy.isAllowed('https://mcp.example.test/mcp')).toBe(true);
    expect(await policy.isAllowed('https://other.example.test/mcp')).toBe(false);
  });

  it('unites the organisations and teams named for the resources of a grant', () => {
    const named: Record<string, { orgs: string[]; teams: string[] }> = {
      a: { orgs: ['acme'], teams: ['acme/platform'] },
      b: { orgs: ['acme', 'globex'], teams: [] },
    };
    const policy = new ResourcePolicy({
      isAllowed: () => true,
      membershipSubjects: (r) => named[r] ?? { orgs: [], teams: [] },
    });
    expect(policy.membershipSubjects(['a', 'b', 'c'])).toEqual({ orgs: ['acme', 'globex'], teams: ['acme/platform'] });
    expect(new ResourcePolicy().membershipSubjects(['a'])).toEqual({ orgs: [], teams: [] });
  });

  it('without a lookup refuses every resource (fail closed) and says so once, at start', async () => {
    const errors: unknown[] = [];
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void errors.push(message));
    const policy = new ResourcePolicy();
    expect(await policy.isAllowed('https://mcp.example.test/mcp')).toBe(false);
    expect(await policy.isAllowed('http://127.0.0.1:8080')).toBe(false);
    expect(errors).toEqual(['no resource lookup is provided (RESOURCE_LOOKUP): every resource indicator is refused']);
  });
});
