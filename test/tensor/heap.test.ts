// The free-list allocator behind the WebAssembly backend, on a bare WebAssembly memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Heap } from '../../src/tensor/wasm/heap.js';

test('blocks are 16-byte aligned, do not overlap, and the memory grows to hold them', () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const heap = new Heap(memory, 1000);
  const blocks: [number, number][] = [];
  for (const bytes of [1, 15, 16, 17, 100, 70000, 3]) {
    const ptr = heap.alloc(bytes);
    assert.equal(ptr % 16, 0);
    assert.ok(ptr >= 1000);
    assert.ok(ptr + bytes + Heap.SLACK <= memory.buffer.byteLength, 'block plus slack inside memory');
    for (const [p, b] of blocks) assert.ok(ptr >= p + b || ptr + bytes <= p, 'no overlap');
    blocks.push([ptr, bytes]);
  }
});

test('freed neighbours merge, and a block freed at the top lowers it', () => {
  const heap = new Heap(new WebAssembly.Memory({ initial: 1 }), 0);
  const a = heap.alloc(32), b = heap.alloc(48), c = heap.alloc(16), d = heap.alloc(64);
  assert.deepEqual([a, b, c, d], [0, 32, 80, 96]);
  heap.free(b);
  heap.free(a);
  // a and b merged into 80 bytes at 0: an 80-byte block fits exactly there.
  assert.equal(heap.alloc(80), 0);
  heap.free(0);
  heap.free(c); // merges with [0, 80) on its left
  assert.equal(heap.alloc(96), 0);
  assert.equal(heap.heapTop, 160);
  heap.free(d);
  assert.equal(heap.heapTop, 96, 'freeing the top block lowers the top');
  heap.free(0);
  assert.equal(heap.heapTop, 0);
  assert.equal(heap.liveCount, 0);
});

test('best fit: the smallest free block that fits is used', () => {
  const heap = new Heap(new WebAssembly.Memory({ initial: 1 }), 0);
  const big = heap.alloc(256), _sep1 = heap.alloc(16), small = heap.alloc(64), _sep2 = heap.alloc(16);
  heap.free(big);
  heap.free(small);
  assert.equal(heap.alloc(48), small, 'the 64-byte hole, not the 256-byte one');
  assert.equal(heap.alloc(200), big);
});

test('bad frees are refused', () => {
  const heap = new Heap(new WebAssembly.Memory({ initial: 1 }), 0);
  const a = heap.alloc(40);
  assert.throws(() => heap.free(a + 16), /no live allocation/);
  assert.throws(() => heap.free(a, 24), /holds 40 bytes/);
  heap.free(a, 40);
  assert.throws(() => heap.free(a), /freed twice/);
  assert.throws(() => heap.alloc(-1), RangeError);
});

test('random alloc/free sequences keep blocks disjoint and end with an empty heap', () => {
  const heap = new Heap(new WebAssembly.Memory({ initial: 1 }), 64);
  let seed = 7;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const live = new Map<number, number>();
  for (let i = 0; i < 5000; i++) {
    if (live.size > 0 && rand(3) === 0) {
      const keys = [...live.keys()];
      const ptr = keys[rand(keys.length)];
      heap.free(ptr);
      live.delete(ptr);
    } else {
      const bytes = 1 + rand(5000);
      const ptr = heap.alloc(bytes);
      for (const [p, b] of live) assert.ok(ptr >= p + b || ptr + bytes <= p, `block ${ptr}+${bytes} overlaps ${p}+${b}`);
      live.set(ptr, bytes);
    }
  }
  for (const ptr of live.keys()) heap.free(ptr);
  assert.equal(heap.heapTop, 64);
  assert.equal(heap.bytesInUse, 0);
});
