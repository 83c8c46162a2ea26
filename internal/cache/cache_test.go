package cache

import (
	"runtime"
	"sync"
	"testing"
)

// TestCacheReuses checks that a Cache hands back the values put into it,
// after a garbage collection too, makes new ones only when none is free,
// and keeps at most Max.
func TestCacheReuses(t *testing.T) {
	made := 0
	c := &Cache[int]{New: func() *int { made++; return new(int) }}
	a := c.Get()
	c.Put(a)
	runtime.GC()
	if b := c.Get(); b != a {
		t.Fatal("Get made a new value with one free")
	}
	if made != 1 {
		t.Fatalf("made %d values, want 1", made)
	}
	vs := make([]*int, Max+3)
	for i := range vs {
		vs[i] = c.Get()
	}
	for _, v := range vs {
		c.Put(v)
	}
	if len(c.free) != Max {
		t.Fatalf("%d free values kept, want %d", len(c.free), Max)
	}
}

// TestCacheConcurrent checks that concurrent callers never share a value.
func TestCacheConcurrent(t *testing.T) {
	c := &Cache[int]{New: func() *int { return new(int) }}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				v := c.Get()
				*v++ // the race detector flags a shared value
				c.Put(v)
			}
		}()
	}
	wg.Wait()
}
