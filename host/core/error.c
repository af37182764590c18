/* error.c - status strings, the thread's last error message, OpenCL error names. */
#include <stdarg.h>
#include <string.h>

#include "internal.h"

/* Large enough for a kernel build log: build failures carry the log in the message. */
#define AR_ERROR_CAP 16384
static _Thread_local char last_error[AR_ERROR_CAP];
static _Thread_local char scratch[AR_ERROR_CAP];

/* Formats into a scratch buffer first: a caller may pass ar_last_error() itself as an argument
 * (to add context to a lower layer's message), and vsnprintf into the buffer it reads from is
 * undefined (in practice the reason was overwritten by the new prefix). */
ar_status ar_fail(ar_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(scratch, sizeof scratch, fmt, ap);
    va_end(ap);
    memcpy(last_error, scratch, sizeof last_error);
    return s;
}

const char *ar_last_error(void) { return last_error; }

void ar_clear_error(void) { last_error[0] = 0; }

const char *ar_version(void) { return AR_VERSION_STRING; }

const char *ar_status_string(ar_status s) {
    switch (s) {
    case AR_OK: return "ok";
    case AR_ERR_INVALID_ARG: return "invalid argument";
    case AR_ERR_IO: return "I/O error";
    case AR_ERR_PARSE: return "malformed input";
    case AR_ERR_NO_PLATFORM: return "no OpenCL platform";
    case AR_ERR_NO_DEVICE: return "no such device";
    case AR_ERR_OPENCL: return "OpenCL error";
    case AR_ERR_CLBLAST: return "CLBlast error";
    case AR_ERR_BUILD: return "kernel build failed";
    case AR_ERR_OUT_OF_MEMORY: return "out of memory";
    case AR_ERR_DIVERGED: return "training diverged";
    case AR_ERR_INTERRUPTED: return "interrupted";
    case AR_ERR_PEER: return "another shard failed";
    }
    return "unknown status";
}

int ar_status_is_usage_error(ar_status s) {
    return s == AR_ERR_INVALID_ARG || s == AR_ERR_IO || s == AR_ERR_PARSE ||
           s == AR_ERR_NO_DEVICE || s == AR_ERR_NO_PLATFORM;
}

ar_status ar_cl_status(cl_int code) {
    return (code == CL_OUT_OF_HOST_MEMORY || code == CL_MEM_OBJECT_ALLOCATION_FAILURE ||
            code == CL_OUT_OF_RESOURCES || code == CL_INVALID_BUFFER_SIZE)
               ? AR_ERR_OUT_OF_MEMORY
               : AR_ERR_OPENCL;
}

const char *ar_cl_error_name(cl_int code) {
    switch (code) {
#define N(c) case c: return #c;
    N(CL_SUCCESS) N(CL_DEVICE_NOT_FOUND) N(CL_DEVICE_NOT_AVAILABLE) N(CL_COMPILER_NOT_AVAILABLE)
    N(CL_MEM_OBJECT_ALLOCATION_FAILURE) N(CL_OUT_OF_RESOURCES) N(CL_OUT_OF_HOST_MEMORY)
    N(CL_PROFILING_INFO_NOT_AVAILABLE) N(CL_MEM_COPY_OVERLAP) N(CL_IMAGE_FORMAT_MISMATCH)
    N(CL_IMAGE_FORMAT_NOT_SUPPORTED) N(CL_BUILD_PROGRAM_FAILURE) N(CL_MAP_FAILURE)
    N(CL_MISALIGNED_SUB_BUFFER_OFFSET) N(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    N(CL_COMPILE_PROGRAM_FAILURE) N(CL_LINKER_NOT_AVAILABLE) N(CL_LINK_PROGRAM_FAILURE)
    N(CL_DEVICE_PARTITION_FAILED) N(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) N(CL_INVALID_VALUE)
    N(CL_INVALID_DEVICE_TYPE) N(CL_INVALID_PLATFORM) N(CL_INVALID_DEVICE) N(CL_INVALID_CONTEXT)
    N(CL_INVALID_QUEUE_PROPERTIES) N(CL_INVALID_COMMAND_QUEUE) N(CL_INVALID_HOST_PTR)
    N(CL_INVALID_MEM_OBJECT) N(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) N(CL_INVALID_IMAGE_SIZE)
    N(CL_INVALID_SAMPLER) N(CL_INVALID_BINARY) N(CL_INVALID_BUILD_OPTIONS) N(CL_INVALID_PROGRAM)
    N(CL_INVALID_PROGRAM_EXECUTABLE) N(CL_INVALID_KERNEL_NAME) N(CL_INVALID_KERNEL_DEFINITION)
    N(CL_INVALID_KERNEL) N(CL_INVALID_ARG_INDEX) N(CL_INVALID_ARG_VALUE) N(CL_INVALID_ARG_SIZE)
    N(CL_INVALID_KERNEL_ARGS) N(CL_INVALID_WORK_DIMENSION) N(CL_INVALID_WORK_GROUP_SIZE)
    N(CL_INVALID_WORK_ITEM_SIZE) N(CL_INVALID_GLOBAL_OFFSET) N(CL_INVALID_EVENT_WAIT_LIST)
    N(CL_INVALID_EVENT) N(CL_INVALID_OPERATION) N(CL_INVALID_GL_OBJECT) N(CL_INVALID_BUFFER_SIZE)
    N(CL_INVALID_MIP_LEVEL) N(CL_INVALID_GLOBAL_WORK_SIZE) N(CL_INVALID_PROPERTY)
    N(CL_INVALID_IMAGE_DESCRIPTOR) N(CL_INVALID_COMPILER_OPTIONS) N(CL_INVALID_LINKER_OPTIONS)
    N(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef N
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "unknown OpenCL error";
    }
}
