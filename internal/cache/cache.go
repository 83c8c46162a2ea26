// Package cache keeps the state of kernels (their buffers, their method
// values) between calls, so that a call allocates nothing once one of its
// kind has run.
//
// Unlike a sync.Pool, whose values sit in per-processor slots that a
// goroutine moved to another processor cannot see, and which the garbage
// collector empties, a Cache hands back the same values whichever processor
// asks, and keeps them: a training step's first call allocates and no later
// one does, whenever a collection runs. It keeps at most Max free values
// (more come only from concurrent callers). The price is memory: a value
// keeps buffers sized for the largest call it served, and the collector
// never frees them, as a framework's caching allocator keeps its blocks.
package cache

import "sync"

// Max is the most free values a Cache keeps.
const Max = 16

// A Cache holds free values of type T. The zero value is not usable: New
// must be set.
type Cache[T any] struct {
	mu   sync.Mutex
	free []*T
	// New makes a value when none is free.
	New func() *T
}

// Get returns a free value, or a new one when none is free.
func (c *Cache[T]) Get() *T {
	c.mu.Lock()
	if n := len(c.free); n > 0 {
		v := c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
		c.mu.Unlock()
		return v
	}
	c.mu.Unlock()
	return c.New()
}

// Put returns v to the cache, which drops it if it holds Max free values.
func (c *Cache[T]) Put(v *T) {
	c.mu.Lock()
	if len(c.free) < Max {
		c.free = append(c.free, v)
	}
	c.mu.Unlock()
}
