"""ctypes arrays: the default plugin types their elements, .value and .raw."""

import ctypes

IntArray = ctypes.c_int * 4
ints = IntArray(1, 2, 3, 4)
reveal_type(ints[0])
reveal_type(ints[0:2])
ints[1] = 5
ints[1] = "five"
for item in ints:
    reveal_type(item)
chars = (ctypes.c_char * 8)()
reveal_type(chars.value)
reveal_type(chars.raw)
wide = (ctypes.c_wchar * 8)()
reveal_type(wide.value)
IntArray(1, "2")
