import { describe, expect, it } from 'vitest';
import { LineBatcher } from './line-batcher.ts';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function recorder(): { chunks: string[]; write: (chunk: string) => void } {
  const chunks: string[] = [];
  return { chunks, write: (chunk) => chunks.push(chunk) };
}

describe('LineBatcher', () => {
  it('hands the lines of one turn to the destination as one chunk, in order', async () => {
    const destination = recorder();
    const batcher = new LineBatcher({ text: destination });
    batcher.write('a\n');
    batcher.write('b\n');
    expect(destination.chunks).toEqual([]);
    await nextTurn();
    expect(destination.chunks).toEqual(['a\nb\n']);
    batcher.write('c\n');
    await nextTurn();
    await nextTurn();
    expect(destination.chunks).toEqual(['a\nb\n', 'c\n']);
  });

  it('writes at once past its size, and on flush before flushing the destination', async () => {
    const destination = recorder();
    const flushed: string[] = [];
    const batcher = new LineBatcher(
      {
        text: {
          write: destination.write,
          flush: (callback) => {
            flushed.push(destination.chunks.join(''));
            callback();
          },
        },
      },
      8,
    );
    batcher.write('1234\n');
    batcher.write('5678\n');
    expect(destination.chunks).toEqual(['1234\n5678\n']);
    batcher.write('x\n');
    await new Promise<void>((resolve, reject) => {
      batcher.flush((error) => {
        if (error === undefined) resolve();
        else reject(error);
      });
    });
    expect(flushed).toEqual(['1234\n5678\nx\n']);
    await nextTurn();
    expect(destination.chunks).toEqual(['1234\n5678\n', 'x\n']);
  });

  it('writes synchronously on flushSync (what process exit calls)', () => {
    const destination = recorder();
    let synced = 0;
    const batcher = new LineBatcher({ text: { write: destination.write, flushSync: () => (synced += 1) } });
    batcher.write('last\n');
    batcher.flushSync();
    expect(destination.chunks).toEqual(['last\n']);
    expect(synced).toBe(1);
  });

  it('keeps a destination that throws away from the event loop', async () => {
    const batcher = new LineBatcher({
      text: {
        write: () => {
          throw new Error('destroyed');
        },
      },
    });
    batcher.write('lost\n');
    await nextTurn();
    const errors: unknown[] = [];
    batcher.write('again\n');
    batcher.flush((error) => errors.push(error));
    expect(errors).toHaveLength(1);
  });

  it('encodes each batch once for a byte destination: UTF-8 unless every line was vouched ASCII', async () => {
    const chunks: Buffer[] = [];
    const batcher = new LineBatcher({ bytes: { write: (chunk: Buffer) => chunks.push(chunk) } });
    batcher.write('{"a":"plain"}\n', true);
    batcher.write('{"b":"x"}\n', true);
    await nextTurn();
    batcher.write('{"a":"plain"}\n', true);
    batcher.write('{"t":"café 😀"}\n');
    await nextTurn();
    expect(chunks.map((chunk) => chunk.toString('utf8'))).toEqual([
      '{"a":"plain"}\n{"b":"x"}\n',
      '{"a":"plain"}\n{"t":"café 😀"}\n',
    ]);
  });
});
