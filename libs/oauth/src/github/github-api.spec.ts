import { nextPage } from './github-api';

describe('nextPage (GitHub Link header)', () => {
  it('finds rel="next" among the relations, wherever it is', () => {
    expect(
      nextPage(
        '<https://api.github.com/user/teams?per_page=100&page=2>; rel="next", <https://api.github.com/user/teams?per_page=100&page=5>; rel="last"',
      ),
    ).toBe('https://api.github.com/user/teams?per_page=100&page=2');
    expect(nextPage('<https://a.test/x?page=1>; rel="prev", <https://a.test/x?page=3>; rel="next"')).toBe(
      'https://a.test/x?page=3',
    );
  });

  it('answers nothing on the last page, without a header, or for a look-alike relation', () => {
    expect(nextPage('<https://a.test/x?page=1>; rel="first", <https://a.test/x?page=1>; rel="prev"')).toBeUndefined();
    expect(nextPage(null)).toBeUndefined();
    expect(nextPage('<https://a.test/x?page=2>; rel="nextish"')).toBeUndefined();
  });
});
