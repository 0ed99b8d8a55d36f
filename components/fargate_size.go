package components

import (
	"fmt"
	"sort"
)

// fargateMemory lists, per Fargate CPU size (CPU units), the memory range in
// MiB and its step, as documented for Linux tasks on platform 1.4.0.
var fargateMemory = map[int]struct{ min, max, step int }{
	256:   {512, 2048, 0}, // 512, 1024, 2048 only: see fargateSmallest
	512:   {1024, 4096, 1024},
	1024:  {2048, 8192, 1024},
	2048:  {4096, 16384, 1024},
	4096:  {8192, 30720, 1024},
	8192:  {16384, 61440, 4096},
	16384: {32768, 122880, 8192},
}

// fargateSmallest holds the 0.25 vCPU size's memory values, which follow no step.
var fargateSmallest = []int{512, 1024, 2048}

// CheckFargateSize reports whether cpu (CPU units) and memory (MiB) are a
// size Fargate can run, and if not which memory values that CPU allows.
func CheckFargateSize(cpu, memory int) error {
	r, ok := fargateMemory[cpu]
	if !ok {
		cpus := make([]int, 0, len(fargateMemory))
		for c := range fargateMemory {
			cpus = append(cpus, c)
		}
		sort.Ints(cpus)
		return fmt.Errorf("cpu %d is not a Fargate size; use one of %v (1024 = 1 vCPU)", cpu, cpus)
	}
	if cpu == 256 {
		for _, m := range fargateSmallest {
			if m == memory {
				return nil
			}
		}
		return fmt.Errorf("memory %d does not fit cpu 256 on Fargate; use one of %v", memory, fargateSmallest)
	}
	if memory >= r.min && memory <= r.max && (memory-r.min)%r.step == 0 {
		return nil
	}
	return fmt.Errorf("memory %d does not fit cpu %d on Fargate; use %d to %d in steps of %d (e.g. %d)",
		memory, cpu, r.min, r.max, r.step, r.min)
}
