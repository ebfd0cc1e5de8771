# rk_warnings: the project's one warnings setting, linked PRIVATE by every target of ours.
# RK_WARNINGS_AS_ERRORS (the `ci` preset turns it on) makes every warning an error.
option(RK_WARNINGS_AS_ERRORS "Treat compiler warnings as errors" OFF)
add_library(rk_warnings INTERFACE)
target_compile_options(rk_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${RK_WARNINGS_AS_ERRORS}>>:-Werror>)
