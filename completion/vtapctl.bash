# SPDX-License-Identifier: MIT
# bash completion for vtapctl. The grammar lives in one place, vtapctl's
# own tables (src/tools/common/grammar.c): vtapctl answers
# `vtapctl __complete WORD...` with the words that may follow, and device
# names where a device is expected.
_vtapctl()
{
	local cur words
	cur=${COMP_WORDS[COMP_CWORD]}
	words=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
	local IFS=$'\n'
	# shellcheck disable=SC2207
	COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" __complete "${words[@]}" 2>/dev/null)" -- "$cur"))
}
complete -F _vtapctl vtapctl
