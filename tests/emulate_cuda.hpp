// A small host emulation of the CUDA execution model, enough to run the
// split kernels of src/kernels/split_kernels.cuh unchanged on the CPU.
// Blocks run one after the other; the threads of a block are fibers
// (ucontext) on one OS thread, switched round-robin whenever one waits at a
// barrier: __syncthreads waits for the block, a warp reduction for the
// warp.  __shared__ arrays are statics (one block is alive at a time).  It
// checks logic (indices, reductions, closed forms, convergence tests), not
// timing or memory ordering.
#ifndef DMF_EMULATE_CUDA_HPP
#define DMF_EMULATE_CUDA_HPP

#include <ucontext.h>

#include <functional>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static
#define DMF_DYNAMIC_SHARED(type, name) type *name = (type *)emu::dynamic_shared
#define DMF_EMULATED_WARP_SUM 1

struct float2 {
    float x, y;
};
struct double2 {
    double x, y;
};
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline double2 make_double2(double x, double y) { return double2{x, y}; }

struct emu_dim3 {
    unsigned x = 0, y = 0, z = 0;
};
// The scheduler sets threadIdx before resuming a fiber.
inline emu_dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace emu {
struct fiber {
    ucontext_t context;
    std::vector<char> stack;
    bool done = false;
};
struct barrier {
    unsigned arrived = 0, generation = 0;
};

inline ucontext_t scheduler;
inline std::vector<fiber> fibers;
inline unsigned current;
inline const std::function<void()> *body;
inline barrier block_barrier, warp_barriers[32];
inline double warp_slots[1024];
alignas(16) inline double dynamic_shared[8192];

inline void yield() { swapcontext(&fibers[current].context, &scheduler); }

inline void wait(barrier &b, unsigned group)
{
    unsigned generation = b.generation;
    if (++b.arrived == group) {
        b.arrived = 0;
        b.generation++;
        return;
    }
    while (b.generation == generation) yield();
}

inline void trampoline()
{
    (*body)();
    fibers[current].done = true;
} // returns to the scheduler through uc_link

// Runs kernel() as a grid of `grid` blocks of `threads` threads.
inline void launch(unsigned grid, unsigned threads, const std::function<void()> &kernel)
{
    gridDim.x = grid;
    blockDim.x = threads;
    body = &kernel;
    for (unsigned b = 0; b < grid; b++) {
        blockIdx.x = b;
        block_barrier = barrier();
        for (auto &w : warp_barriers) w = barrier();
        if (fibers.size() < threads) fibers.resize(threads); // stacks are kept from launch to launch
        for (unsigned t = 0; t < threads; t++) {
            fiber &f = fibers[t];
            f.done = false;
            if (f.stack.empty()) f.stack.resize(64 * 1024);
            getcontext(&f.context);
            f.context.uc_stack.ss_sp = f.stack.data();
            f.context.uc_stack.ss_size = f.stack.size();
            f.context.uc_link = &scheduler;
            makecontext(&f.context, trampoline, 0);
        }
        for (unsigned live = threads; live > 0;) {
            live = 0;
            for (unsigned t = 0; t < threads; t++) {
                if (fibers[t].done) continue;
                current = t;
                threadIdx.x = t;
                swapcontext(&scheduler, &fibers[t].context);
                live += !fibers[t].done;
            }
        }
    }
}
} // namespace emu

inline void __syncthreads() { emu::wait(emu::block_barrier, blockDim.x); }

// Every lane gets the same sum of the warp's 32 values (the role of the
// shuffle butterfly in device_math.cuh).
inline double dmf_warp_sum(double v)
{
    unsigned t = threadIdx.x, warp = t / 32;
    emu::warp_slots[t] = v;
    emu::wait(emu::warp_barriers[warp], 32);
    double sum = 0;
    for (unsigned l = 0; l < 32; l++) sum += emu::warp_slots[warp * 32 + l];
    emu::wait(emu::warp_barriers[warp], 32);
    return sum;
}

template <typename T> inline T atomicAdd(T *address, T value)
{
    T old = *address; // one OS thread: fibers switch only at barriers
    *address = old + value;
    return old;
}

#endif
