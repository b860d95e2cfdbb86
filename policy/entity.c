/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Being written. */
#include "entryguard/error.h"
