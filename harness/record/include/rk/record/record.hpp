// Umbrella header of the HDF5 results writer (rk_record).
#pragma once

#include "rk/record/attr.hpp"
#include "rk/record/check.hpp"
#include "rk/record/error.hpp"
#include "rk/record/json.hpp"
#include "rk/record/names.hpp"
#include "rk/record/reader.hpp"
#include "rk/record/results_file.hpp"
#include "rk/record/rows.hpp"
#include "rk/record/run_info.hpp"
#include "rk/record/series.hpp"
#include "rk/record/table.hpp"
#include "rk/record/trace.hpp"
#include "rk/record/workload_group.hpp"
