package linear

// The stored weights of SGD, ASGD and Hogwild are float32, as in Bottou's
// sgd (FVector): half the cache of float64 for the same vocabulary, which
// the random accesses of a sparse step feel. Products are accumulated and
// the divisors kept in float64.

// dot32 returns Σₖ w[idx[k]]·val[k], accumulated in float64.
func dot32(w []float32, idx []int32, val []float32) float64 {
	val = val[:len(idx)]
	// Four accumulators break the chain of dependent additions; slicing
	// four entries at a time leaves one bounds check per group on idx and
	// val.
	var s0, s1, s2, s3 float64
	for len(idx) >= 4 {
		i, v := idx[:4:4], val[:4:4]
		s0 += float64(w[i[0]] * v[0])
		s1 += float64(w[i[1]] * v[1])
		s2 += float64(w[i[2]] * v[2])
		s3 += float64(w[i[3]] * v[3])
		idx, val = idx[4:], val[4:]
	}
	for k, j := range idx {
		s0 += float64(w[j] * val[k])
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy32 adds a·row to w: w[idx[k]] += a·val[k].
func axpy32(w []float32, a float64, idx []int32, val []float32) {
	c := float32(a)
	val = val[:len(idx)]
	for len(idx) >= 4 {
		i, v := idx[:4:4], val[:4:4]
		w[i[0]] += c * v[0]
		w[i[1]] += c * v[1]
		w[i[2]] += c * v[2]
		w[i[3]] += c * v[3]
		idx, val = idx[4:], val[4:]
	}
	for k, j := range idx {
		w[j] += c * val[k]
	}
}

// scale32 multiplies v by c.
func scale32(v []float32, c float64) {
	for i, x := range v {
		v[i] = float32(float64(x) * c)
	}
}
