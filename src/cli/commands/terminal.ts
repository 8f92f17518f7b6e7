// `boxfep terminal add|list|disable|enable|import|kcv|resign|rewrap`: provisioning and key
// management (rewrap and resign live in key-commands.ts). Acts on a shared store
// (`--store redis://…`, for a deployment where several boxfep nodes share Redis) or on a terminals
// file (`--terminals-file FILE`, for the embedded memory-store deployment: serve reads the same
// file with `--terminals FILE`). Clear keys are accepted (the key ceremony) and encrypted under the
// LMK at once; the printed check value lets the operator confirm the key that was entered.
import { readFileSync } from 'node:fs';
import { CryptoError, createCryptoService, loadLmk } from '../../crypto/service.js';
import { silentLogger } from '../../log/logger.js';
import { createStore, type Store, StoreInputError } from '../../store/store.js';
import {
  type ProvisionResult,
  parseTerminalsFile,
  provisionTerminals,
  type TerminalInput,
  TerminalInputError,
  validateTerminalInput,
} from '../../terminals/provisioning.js';
import { readTerminalsFile, writeTerminalsFile } from '../../terminals/terminals-file.js';
import { parseFlags } from '../args.js';
import { openStore, registryTarget, resign, rewrap } from '../terminal-keys.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage:
  boxfep terminal add --tid TID --mid MID (--tmk HEX | --bdk HEX) [--key-mode session|dukpt-tdes|dukpt-aes]
                      [--mac cups-ecb|x9.19] [--serial S] [--merchant-name N] [--batch NNNNNN]
  boxfep terminal list [--json]
  boxfep terminal disable --tid TID      boxfep terminal enable --tid TID
  boxfep terminal import FILE            (CSV with a header row, or a JSON array)
  boxfep terminal kcv --tid TID          check value of the stored TMK/BDK (compare with the ceremony form)
  boxfep terminal resign (--tid TID | --all)
                                         revoke working keys: the box gets 22 and signs on again (--store only)
  boxfep terminal rewrap [--dry-run] [--json]
                                         LMK rotation: re-encrypt every stored key from the old LMK to the new;
                                         old LMK: --old-lmk-file F, BOXFEP_OLD_LMK (hex) or BOXFEP_OLD_LMK_FILE
                                         new LMK: --new-lmk-file F, BOXFEP_NEW_LMK (hex) or BOXFEP_NEW_LMK_FILE
where the registry is one of:
  --store redis://host:port              a shared store  [BOXFEP_STORE]
    [--store-prefix P]                   its key prefix, as serve's (default bf:)  [BOXFEP_STORE_PREFIX]
  --terminals-file FILE                  the embedded deployment's file  [BOXFEP_TERMINALS_FILE]
and the LMK comes from --lmk-file FILE, BOXFEP_LMK or BOXFEP_LMK_FILE.`;

const OPTIONS = {
  store: { type: 'string' },
  'store-prefix': { type: 'string' },
  'terminals-file': { type: 'string' },
  'lmk-file': { type: 'string' },
  'old-lmk-file': { type: 'string' },
  'new-lmk-file': { type: 'string' },
  all: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  tid: { type: 'string' },
  mid: { type: 'string' },
  tmk: { type: 'string' },
  bdk: { type: 'string' },
  'key-mode': { type: 'string' },
  mac: { type: 'string' },
  serial: { type: 'string' },
  'merchant-name': { type: 'string' },
  batch: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

interface Registry {
  store: Store;
  /** Persist changes (file mode); a no-op for a shared store. */
  save(): Promise<void>;
}

async function openRegistry(
  values: Record<string, unknown>,
  crypto: ReturnType<typeof createCryptoService>,
): Promise<Registry> {
  const target = registryTarget(values);
  if ('store' in target) return { store: openStore(target), save: async () => {} };
  const store = createStore('memory');
  await provisionTerminals(store, crypto, readTerminalsFile(target.file));
  return { store, save: async () => writeTerminalsFile(target.file, await store.listTerminals()) };
}

function printResults(results: ProvisionResult[]): void {
  for (const r of results) process.stdout.write(`${r.created ? 'added' : 'updated'} ${r.tid}  KCV ${r.kcv}\n`);
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === 'help' || sub === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (!['add', 'list', 'disable', 'enable', 'import', 'kcv', 'resign', 'rewrap'].includes(sub)) {
    throw new UsageError(`unknown subcommand '${sub}'\n${USAGE}`);
  }
  const { values, positionals } = parseFlags(rest, OPTIONS);
  // These two need no LMK of the serving kind: rewrap takes the old and new ones, resign none.
  if (sub === 'rewrap') return rewrap(values);
  if (sub === 'resign') return resign(values);
  let crypto: ReturnType<typeof createCryptoService>;
  try {
    crypto = createCryptoService({
      mode: 'inline',
      lmk: loadLmk({ file: values['lmk-file'], logger: silentLogger }).lmk,
    });
  } catch (err) {
    if (err instanceof CryptoError) throw new UsageError(err.message);
    throw err;
  }
  let registry: Registry | undefined;
  try {
    registry = await openRegistry(values, crypto);
    const { store } = registry;
    switch (sub) {
      case 'add': {
        const input: TerminalInput = validateTerminalInput(
          {
            tid: values.tid,
            mid: values.mid,
            tmk: values.tmk,
            bdk: values.bdk,
            keyMode: values['key-mode'],
            mac: values.mac,
            serial: values.serial,
            merchantName: values['merchant-name'],
            batch: values.batch,
          },
          'terminal add',
        );
        printResults(await provisionTerminals(store, crypto, [input]));
        break;
      }
      case 'import': {
        const [file] = positionals;
        if (!file) throw new UsageError('terminal import needs a FILE');
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          throw new UsageError(`cannot read ${file}`);
        }
        printResults(await provisionTerminals(store, crypto, parseTerminalsFile(text, file)));
        break;
      }
      case 'disable':
      case 'enable': {
        if (!values.tid) throw new UsageError(`terminal ${sub} needs --tid`);
        const rec = await store.getTerminal(values.tid);
        if (!rec) throw new UsageError(`no terminal ${values.tid}`);
        rec.status = sub === 'disable' ? 'disabled' : 'active';
        rec.updatedAt = Date.now();
        await store.putTerminal(rec);
        process.stdout.write(`${rec.tid} ${rec.status}\n`);
        break;
      }
      case 'kcv': {
        if (!values.tid) throw new UsageError('terminal kcv needs --tid');
        const rec = await store.getTerminal(values.tid);
        if (!rec) throw new UsageError(`no terminal ${values.tid}`);
        const [name, blob] = rec.tmk ? ['TMK', rec.tmk] : ['BDK', rec.bdk];
        if (!blob) throw new UsageError(`terminal ${rec.tid} has no key`);
        let kcv: string;
        try {
          kcv = await crypto.keyCheckValue(blob, 4);
        } catch (err) {
          if (err instanceof CryptoError) throw new UsageError(`${rec.tid}: the ${name} ${err.message}`);
          throw err;
        }
        process.stdout.write(`${rec.tid}  ${name}  KCV ${kcv}\n`);
        return 0;
      }
      default: {
        const list = (await store.listTerminals()).sort((a, b) => a.tid.localeCompare(b.tid));
        if (values.json) {
          const rows = await Promise.all(
            list.map(async (r) => ({
              tid: r.tid,
              mid: r.mid,
              status: r.status,
              keyMode: r.keyMode,
              mac: r.mac,
              batch: r.batch,
              kcv: await crypto.keyCheckValue((r.tmk ?? r.bdk)!, 4),
            })),
          );
          process.stdout.write(`${JSON.stringify(rows)}\n`);
        } else {
          process.stdout.write('TID       MID              STATUS    KEY MODE    MAC       BATCH   KCV\n');
          for (const r of list) {
            const kcv = await crypto.keyCheckValue((r.tmk ?? r.bdk)!, 4);
            process.stdout.write(
              `${r.tid}  ${r.mid}  ${r.status.padEnd(8)}  ${r.keyMode.padEnd(10)}  ${r.mac.padEnd(8)}  ${r.batch}  ${kcv}\n`,
            );
          }
        }
        return 0;
      }
    }
    await registry.save();
    return 0;
  } catch (err) {
    if (err instanceof TerminalInputError || err instanceof StoreInputError) throw new UsageError(err.message);
    throw err;
  } finally {
    await registry?.store.close();
    await crypto.close();
  }
}
