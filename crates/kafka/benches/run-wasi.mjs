// Runs the benchmark built for wasm32-wasip1 under Node's WASI:
//   cargo build --release --target wasm32-wasip1 --bench kafka -p brokerlab-kafka
//   node benches/run-wasi.mjs target/wasm32-wasip1/release/deps/kafka-<hash>.wasm [scale]
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
const wasi = new WASI({ version: 'preview1', args: ['kafka', ...process.argv.slice(3)], env: {} });
const module = await WebAssembly.compile(await readFile(process.argv[2]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
wasi.start(instance);
