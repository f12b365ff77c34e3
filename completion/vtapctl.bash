# SPDX-License-Identifier: MIT
# bash completion for vtapctl. The grammar lives in one place, vtapctl's
# own tables (src/tools/common/grammar.c): vtapctl answers
# `vtapctl __complete WORD...` with the words that may follow, and device
# names where a device is expected.
_vtapctl()
{
	local cur words=() i
	cur=${COMP_WORDS[COMP_CWORD]}
	# The global options (-j, -p, -v, -n NETNS) come before the object.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-n | --netns)
			((i++))
			[ "$i" -lt "$COMP_CWORD" ] || return 0 # a namespace name
			continue ;;
		-*) [ ${#words[@]} = 0 ] && continue ;;
		esac
		words+=("${COMP_WORDS[i]}")
	done
	local IFS=$'\n'
	# shellcheck disable=SC2207
	COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" __complete "${words[@]}" 2>/dev/null)" -- "$cur"))
}
complete -F _vtapctl vtapctl
