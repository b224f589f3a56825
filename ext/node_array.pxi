# The compiled Scalar (ext/scalar.pyx), part 5: the one growable array of its graph walks and its sweep.
#
# A walk (topological order, the sweep's queue, the recount) holds its nodes as borrowed pointers --
# PyObject*, no reference counting: the root keeps every node of its graph alive, and nothing a walk does
# frees a node.  A stack pushes and pops at the end; a queue pushes at the end and takes from the front.


@cython.final
@cython.auto_pickle(False)
cdef class _NodeArray:
    """A growable array of borrowed node pointers; ``items[head:size]`` are the ones in use.

    As a stack: ``push``, and ``size -= 1`` to pop.  As a queue: ``push``, and
    ``head += 1`` to take the oldest.
    """
    cdef PyObject** items
    cdef Py_ssize_t head, size, capacity

    def __cinit__(self):
        self.capacity = 1024
        self.items = <PyObject**>malloc(self.capacity * sizeof(PyObject*))
        if self.items == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.items)

    cdef inline int push(self, PyObject* node) except -1:
        if self.size == self.capacity:
            self._make_room()
        self.items[self.size] = node
        self.size += 1
        return 0

    cdef int _make_room(self) except -1:
        """Room for one more item: slide the items in use to the front (a queue), or double the array."""
        cdef PyObject** grown
        if self.head >= self.capacity // 2:
            memmove(self.items, self.items + self.head, (self.size - self.head) * sizeof(PyObject*))
            self.size -= self.head
            self.head = 0
        else:
            grown = <PyObject**>realloc(self.items, 2 * self.capacity * sizeof(PyObject*))
            if grown == NULL:
                raise MemoryError()
            self.items = grown
            self.capacity *= 2
        return 0
