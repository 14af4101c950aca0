// Preprocessor helpers behind STREAMLIB_CONFIG: apply a macro to each of up to 40 arguments.
// Not part of the public API.
#pragma once

#include "streamlib/result.h"  // STREAMLIB_INTERNAL_CONCAT

// Supports up to 40 fields per config struct.
#define STREAMLIB_INTERNAL_NARG(...)                                                                                \
  STREAMLIB_INTERNAL_NARG_(__VA_ARGS__, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, \
                           21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
#define STREAMLIB_INTERNAL_NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, \
                                 _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35, _36,  \
                                 _37, _38, _39, _40, N, ...)                                                           \
  N
#define STREAMLIB_INTERNAL_FE_1(m, t, x) m(t, x)
#define STREAMLIB_INTERNAL_FE_2(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_1(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_3(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_2(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_4(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_3(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_5(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_4(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_6(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_5(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_7(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_6(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_8(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_7(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_9(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_8(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_10(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_9(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_11(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_10(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_12(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_11(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_13(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_12(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_14(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_13(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_15(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_14(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_16(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_15(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_17(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_16(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_18(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_17(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_19(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_18(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_20(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_19(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_21(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_20(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_22(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_21(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_23(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_22(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_24(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_23(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_25(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_24(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_26(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_25(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_27(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_26(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_28(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_27(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_29(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_28(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_30(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_29(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_31(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_30(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_32(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_31(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_33(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_32(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_34(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_33(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_35(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_34(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_36(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_35(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_37(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_36(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_38(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_37(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_39(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_38(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FE_40(m, t, x, ...) m(t, x), STREAMLIB_INTERNAL_FE_39(m, t, __VA_ARGS__)
#define STREAMLIB_INTERNAL_FOR_EACH(m, t, ...) \
  STREAMLIB_INTERNAL_CONCAT(STREAMLIB_INTERNAL_FE_, STREAMLIB_INTERNAL_NARG(__VA_ARGS__))(m, t, __VA_ARGS__)
