/* Includes DMF_IMPL (a quoted file name) once per dtype. */
#define DMF_TYPE_ID 0
#include "scalar_begin.h"
#include DMF_IMPL
#include "scalar_end.h"
#define DMF_TYPE_ID 1
#include "scalar_begin.h"
#include DMF_IMPL
#include "scalar_end.h"
#define DMF_TYPE_ID 2
#include "scalar_begin.h"
#include DMF_IMPL
#include "scalar_end.h"
#define DMF_TYPE_ID 3
#include "scalar_begin.h"
#include DMF_IMPL
#include "scalar_end.h"
#undef DMF_IMPL
