/**
 * The buffered, asynchronous writer behind the protocol logs and the security log: callers push
 * items without waiting; items gathered in one tick are written as one batch; a bounded queue
 * drops (and counts) items rather than growing without limit when the disk is slow; a failed
 * batch is reported and writing goes on. `flush()` resolves once everything pushed is written.
 */
export interface BatchQueue<T> {
  /** False (and counted as dropped) when the queue is full. */
  push(item: T): boolean;
  flush(): Promise<void>;
}

export function createBatchQueue<T>(opts: {
  maxQueued: number;
  writeBatch: (batch: T[]) => Promise<void>;
  onError: (err: unknown, batchSize: number) => void;
  onDropped: (count: number) => void;
}): BatchQueue<T> {
  let queue: T[] = [];
  let draining: Promise<void> | null = null;
  let dropped = 0;

  async function drain(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve)); // gather a batch
    while (queue.length) {
      const batch = queue;
      queue = [];
      try {
        await opts.writeBatch(batch);
      } catch (err) {
        opts.onError(err, batch.length);
      }
    }
    if (dropped) {
      opts.onDropped(dropped);
      dropped = 0;
    }
  }

  function kick(): void {
    if (draining) return;
    draining = drain().finally(() => {
      draining = null;
      if (queue.length) kick();
    });
  }

  return {
    push(item: T): boolean {
      if (queue.length >= opts.maxQueued) {
        dropped++;
        return false;
      }
      queue.push(item);
      kick();
      return true;
    },
    async flush(): Promise<void> {
      while (draining || queue.length) {
        if (!draining) kick();
        await draining;
      }
    },
  };
}
