/* gemm_db.c - the CLBlast tuning entries autorec ships: one line per entry, in the format of
 * gemm_tune.c (docs/devices.md#tuned-clblast). Each line came from bench/clblast_tune.sh on
 * the device it names (command and figures in docs/performance.md#tuned-clblast); a user's file
 * (AUTOREC_CLBLAST_TUNING) is read before these, so its entries win. */
#include "internal.h"

const char ar_clblast_db[] =
    "# KERNEL | PLATFORM (CL_PLATFORM_VENDOR) | DEVICE (CL_DEVICE_NAME) | DRIVER (CL_DRIVER_VERSION) | NAME=VALUE ...\n"
    /* PoCL 3.1 on the development VM's Xeon (AVX-512). XgemmDirect: bench/clblast_tune.sh 0 0
     * '3.1*' (clblast_tuner_xgemm_direct, 256 x 512 x 1024, fixed set). GemmRoutine: measured
     * with autorec_gemm_bench at the model's shapes: the indirect kernel (with CLBlast's
     * parameters for this CPU) is 1-8x faster than the direct one at every ML-100K and
     * hidden-to-hidden shape (NT 5x, NN 3-8x), so every GEMM from 128^3 on takes it. */
    "XgemmDirect | The pocl project | pthread-skylake-avx512-Intel(R) Xeon(R) Processor @ 2.60GHz | 3.1* | "
    "KWID=2 MDIMAD=16 MDIMCD=16 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=1 VWND=4 WGD=32\n"
    "GemmRoutine | The pocl project | pthread-* | 3.1* | XGEMM_MIN_INDIRECT_SIZE=128\n"
    /* Rusticl (Mesa 22.3) on llvmpipe. XgemmDirect: bench/clblast_tune.sh 1 0 '22.3*' with
     * RUSTICL_ENABLE=llvmpipe (fixed set). The indirect kernel measured no faster here at the
     * hidden-to-hidden shapes, so CLBlast's switch point is kept. */
    "XgemmDirect | Mesa/X.org | llvmpipe* | 22.3* | "
    "KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=4 VWND=1 WGD=32\n"
    ;
