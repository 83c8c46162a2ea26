package tensor

import (
	"reflect"
	"sync"

	"github.com/descent-ml/descent/internal/cache"
)

// A kernel keeps its state between calls (buffers, and the method values
// it hands to parallel.For, which would cost an allocation per call if made
// anew) in a cache.Cache of its state type, so that a call allocates
// nothing once one of its kind has run.

// kernelState is a kernel's state type: init prepares a new value (sets its
// method values).
type kernelState[J any] interface {
	*J
	init()
}

// kernelCaches holds the caches: reflect.Type of the state type J →
// *cache.Cache[J], made on first use.
var kernelCaches sync.Map

// cacheOf returns the cache of J's values, which makes new ones with init.
func cacheOf[J any, PJ kernelState[J]]() *cache.Cache[J] {
	key := reflect.TypeFor[J]()
	if p, ok := kernelCaches.Load(key); ok {
		return p.(*cache.Cache[J])
	}
	p, _ := kernelCaches.LoadOrStore(key, &cache.Cache[J]{New: func() *J {
		j := new(J)
		PJ(j).init()
		return j
	}})
	return p.(*cache.Cache[J])
}
