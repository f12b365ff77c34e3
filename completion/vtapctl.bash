# SPDX-License-Identifier: MIT
# bash completion for vtapctl. The grammar lives in one place, vtapctl's
# own tables (src/tools/common/grammar.c): vtapctl answers
# `vtapctl [-n NETNS] __complete WORD...` with the words that may follow:
# keywords not given yet, values of enumerated keywords (offload names,
# hash types), and the tun/tap devices (of NETNS with -n, as `ip -n NETNS
# -o link` lists them) where a device is expected. Namespace names after
# -n/--netns come from `ip netns list`.
_vtapctl()
{
	local cur prev words=() global=() i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [[ $prev == --netns || $prev == -n || $prev == -[jpv]*n ]]; then
		# shellcheck disable=SC2207
		COMPREPLY=($(compgen -W "$(ip netns list 2>/dev/null |
			awk '{print $1}')" -- "$cur"))
		return 0
	fi
	# The global options (-j, -p, -v, -n NETNS, combined as -jp) come
	# before the object; -n is handed on, so that device names are the
	# namespace's.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--netns | -n | -[jpv]*n)
			((i++))
			[ ${#words[@]} = 0 ] && global+=(-n "${COMP_WORDS[i]}")
			continue ;;
		--netns=*)
			[ ${#words[@]} = 0 ] && global+=("${COMP_WORDS[i]}")
			continue ;;
		-*) [ ${#words[@]} = 0 ] && continue ;;
		esac
		words+=("${COMP_WORDS[i]}")
	done
	if [ ${#words[@]} = 0 ] && [[ $cur == -* ]]; then
		# shellcheck disable=SC2207
		COMPREPLY=($(compgen -W "-j -p -n -v -h -V --json --pretty --netns
			--verbose --help --version" -- "$cur"))
		return 0
	fi
	local IFS=$'\n' next
	# A namespace that cannot be entered still gets the grammar's words.
	next=$("${COMP_WORDS[0]}" "${global[@]}" __complete "${words[@]}" 2>/dev/null) ||
		next=$("${COMP_WORDS[0]}" __complete "${words[@]}" 2>/dev/null)
	# shellcheck disable=SC2207
	COMPREPLY=($(compgen -W "$next" -- "$cur"))
}
complete -F _vtapctl vtapctl
