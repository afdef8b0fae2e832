import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrl } from '../../src/tune/storage/postgres.js';

test('a storage URL is printed without its secrets, in every form they come in', () => {
  const cases: [string, string][] = [
    ['postgresql://me:s3cret@db.example:5432/studies', 'postgresql://me@db.example:5432/studies'],
    // An unencoded '@' in the password: the user-info ends at the last '@' before the path.
    ['postgresql://me:p@ss@w0rd@db/studies', 'postgresql://me@db/studies'],
    ['postgres://me:a:b@[::1]:5432/db', 'postgres://me@[::1]:5432/db'],
    ['postgresql://db/studies?password=s3cret&sslmode=require', 'postgresql://db/studies?password=***&sslmode=require'],
    ['postgresql://me@db/studies?sslpassword=s3&passfile=/home/me/.pgpass', 'postgresql://me@db/studies?sslpassword=***&passfile=***'],
    ['postgresql:///studies?host=/run/postgresql&PASSWORD=s3cret', 'postgresql:///studies?host=/run/postgresql&PASSWORD=***'],
    ['host=db user=me password=s3cret dbname=studies', 'host=db user=me password=*** dbname=studies'],
    ['postgresql://me@db/studies', 'postgresql://me@db/studies'],
  ];
  for (const [url, shown] of cases) {
    assert.equal(redactUrl(url), shown, url);
    assert.ok(!/s3cret|p@ss|w0rd|\.pgpass|:b@/.test(redactUrl(url)), url);
  }
});
