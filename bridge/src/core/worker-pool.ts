import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker, type ResourceLimits } from "node:worker_threads";

/**
 * Start a worker from a module next to the caller. Compiled code has the `.js` file. Run from
 * TypeScript sources (tsx, the test runner), only the `.ts` file exists, so the worker first
 * registers tsx's loader and then imports the module.
 */
function startWorker(moduleUrl: URL, workerData: unknown, resourceLimits: ResourceLimits): Worker {
  const path = fileURLToPath(moduleUrl);
  const source = path.replace(/\.js$/, ".ts");
  if (existsSync(path) || !existsSync(source)) {
    return new Worker(moduleUrl, { workerData, resourceLimits });
  }
  const url = JSON.stringify(new URL(`file://${source}`).href);
  const code = `import("tsx/esm/api").then(({ register }) => { register(); return import(${url}); });`;
  return new Worker(code, { eval: true, workerData, resourceLimits });
}

interface Task<TOut> {
  id: number;
  resolve(value: TOut): void;
  reject(error: Error): void;
}

interface Reply<TOut> {
  id: number;
  result?: TOut;
  error?: string;
}

/**
 * A fixed set of worker threads running one module. `run` sends a message to the worker with
 * the fewest tasks and resolves with its reply. A worker that fails or exits fails its tasks
 * and every later one, so a caller never waits for a reply that cannot come.
 */
export class WorkerPool<TIn, TOut> {
  private readonly workers: Worker[] = [];
  private readonly tasks = new Map<Worker, Map<number, Task<TOut>>>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor(
    moduleUrl: URL,
    size: number,
    workerData: unknown,
    resourceLimits: ResourceLimits = {},
  ) {
    for (let i = 0; i < size; i += 1) {
      const worker = startWorker(moduleUrl, workerData, resourceLimits);
      const tasks = new Map<number, Task<TOut>>();
      this.tasks.set(worker, tasks);
      worker.on("message", (reply: Reply<TOut>) => {
        const task = tasks.get(reply.id);
        tasks.delete(reply.id);
        if (reply.error !== undefined) {
          task?.reject(new Error(reply.error));
        } else {
          task?.resolve(reply.result as TOut);
        }
      });
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (!this.closing) {
          this.fail(new Error(`a worker thread stopped with exit code ${code}`));
        }
      });
      this.workers.push(worker);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  run(input: TIn): Promise<TOut> {
    if (this.failure) {
      return Promise.reject(this.failure);
    }
    let chosen = this.workers[0] as Worker;
    for (const worker of this.workers) {
      if ((this.tasks.get(worker)?.size ?? 0) < (this.tasks.get(chosen)?.size ?? 0)) {
        chosen = worker;
      }
    }
    const id = this.nextId;
    this.nextId += 1;
    return new Promise<TOut>((resolve, reject) => {
      this.tasks.get(chosen)?.set(id, { id, resolve, reject });
      chosen.postMessage({ id, input });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const tasks of this.tasks.values()) {
      for (const task of tasks.values()) {
        task.reject(this.failure);
      }
      tasks.clear();
    }
  }
}

/** Serve a pool: reply to each message with the handler's result, or with its error's message. */
export function serveWorker<TIn, TOut>(
  port: import("node:worker_threads").MessagePort,
  handle: (input: TIn) => TOut,
): void {
  port.on("message", ({ id, input }: { id: number; input: TIn }) => {
    try {
      port.postMessage({ id, result: handle(input) });
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      port.postMessage({ id, error: text });
    }
  });
}
