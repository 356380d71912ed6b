"""A binary min-heap of timed events in flat arrays, for the kernels that split steps at events.

``HT`` holds the times, ``HK`` what happens (a code the kernel dispatches on) and
``HI`` to which instance; ``HN[0]`` is the count and ``HN[1]`` is set when a push
found the heap full (the kernel then stops: the caller grows the arrays).
"""

from numba import njit


@njit(cache=True, nogil=True)
def heap_push(HT, HK, HI, HN, t, k, i):
    n = HN[0]
    if n == HT.shape[0]:
        HN[1] = 1
        return
    while n > 0:
        parent = (n - 1) // 2
        if HT[parent] <= t:
            break
        HT[n], HK[n], HI[n] = HT[parent], HK[parent], HI[parent]
        n = parent
    HT[n], HK[n], HI[n] = t, k, i
    HN[0] += 1


@njit(cache=True, nogil=True)
def heap_pop(HT, HK, HI, HN):
    """Remove the earliest event (read it from HT[0], HK[0], HI[0] first)."""
    n = HN[0] - 1
    HN[0] = n
    if n == 0:
        return
    t, k, i = HT[n], HK[n], HI[n]
    hole = 0
    while True:
        child = 2 * hole + 1
        if child >= n:
            break
        if child + 1 < n and HT[child + 1] < HT[child]:
            child += 1
        if HT[child] >= t:
            break
        HT[hole], HK[hole], HI[hole] = HT[child], HK[child], HI[child]
        hole = child
    HT[hole], HK[hole], HI[hole] = t, k, i
