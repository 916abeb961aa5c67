// A static file server that behaves as common static hosts do, for the load
// benchmark: it serves a folder from a sub-path, gzip-compresses text and
// WebAssembly when the browser accepts it, and answers revalidation
// (If-None-Match, If-Modified-Since) with 304 Not Modified. Every response
// carries `Cache-Control: no-cache`, so a browser asks again on every visit
// and a repeat visit costs one 304 per unchanged file (the stricter of the
// usual host defaults). Only node's own modules are used.
//
// By hand: `node bench/static-server.js DIR [PORT] [SUB_PATH]`.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
const COMPRESSED = new Set(['.html', '.js', '.css', '.json', '.svg', '.wasm', '.txt']);

/** Serves `dir` at `subPath` (e.g. `/demo/brokerlab/`); returns the listening server. */
export async function serve(dir, { port = 0, subPath = '/demo/brokerlab/' } = {}) {
  const root = resolve(dir);
  // Compressed bodies are kept per file and modification time, as a host's cache would.
  const cache = new Map();
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://host');
      if (!url.pathname.startsWith(subPath)) return answer(res, 404, 'Not found');
      let path = decodeURIComponent(url.pathname.slice(subPath.length)) || 'index.html';
      if (path.endsWith('/')) path += 'index.html';
      const file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) return answer(res, 403, 'Forbidden');
      let info;
      try {
        info = await stat(file);
      } catch {
        return answer(res, 404, 'Not found');
      }
      if (!info.isFile()) return answer(res, 404, 'Not found');
      const ext = extname(file);
      const gzip = COMPRESSED.has(ext) && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
      const key = `${file}:${info.mtimeMs}`;
      let entry = cache.get(key);
      if (!entry) {
        const body = await readFile(file);
        const tag = createHash('sha1').update(body).digest('hex').slice(0, 20);
        entry = { body, tag, gz: COMPRESSED.has(ext) ? gzipSync(body, { level: 6 }) : null };
        cache.set(key, entry);
      }
      // Like nginx and most CDNs: the compressed variant has its own ETag.
      const etag = `"${entry.tag}${gzip ? '-gz' : ''}"`;
      const lastModified = new Date(Math.floor(info.mtimeMs / 1000) * 1000).toUTCString();
      const headers = {
        'Content-Type': TYPES[ext] ?? 'application/octet-stream',
        'Cache-Control': 'no-cache',
        ETag: etag,
        'Last-Modified': lastModified,
        Vary: 'Accept-Encoding',
      };
      const match = req.headers['if-none-match'];
      const since = req.headers['if-modified-since'];
      const fresh = match !== undefined
        ? match.split(',').map((t) => t.trim().replace(/^W\//, '')).includes(etag)
        : since !== undefined && Date.parse(since) >= Date.parse(lastModified);
      if (fresh) {
        res.writeHead(304, headers);
        return res.end();
      }
      const body = gzip ? entry.gz : entry.body;
      if (gzip) headers['Content-Encoding'] = 'gzip';
      headers['Content-Length'] = body.length;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      answer(res, 500, String(e));
    }
  });
  await new Promise((done) => server.listen(port, '127.0.0.1', done));
  return server;
}

function answer(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, port = '8080', subPath = '/demo/brokerlab/'] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node static-server.js DIR [PORT] [SUB_PATH]');
    process.exit(2);
  }
  const server = await serve(dir, { port: Number(port), subPath });
  console.log(`serving ${dir} at http://127.0.0.1:${server.address().port}${subPath}`);
}
