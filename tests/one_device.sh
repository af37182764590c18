# one_device.sh - sourced by the script tests that start hundreds of autorec processes
# (test_faults_cl.sh, test_fault.sh). With no device named (AUTOREC_DEVICE
# unset) they run on the default device. CI sets RUSTICL_ENABLE=llvmpipe so that the device
# tests also run on Mesa's Rusticl; every process then starts llvmpipe too, which triples the
# cost of a short run (0.26 s against 0.09 s for an eval here) without changing the device
# used. tu_one_device BIN unsets it, unless that would leave no device at all.
tu_one_device() {
    [ -z "${AUTOREC_DEVICE:-}" ] && [ -n "${RUSTICL_ENABLE:-}" ] || return 0
    if [ -n "$(env -u RUSTICL_ENABLE "$1" devices --ids 2>/dev/null)" ]; then
        unset RUSTICL_ENABLE
    fi
}
