/*
 * upstream_ssh.h - ssh upstreams through OpenSSH's ssh program, every wait
 * bounded by the calling thread's deadline (internal to store/upstream.c).
 *
 * libgit2 1.5 hands ssh to libssh2 on a blocking socket, and libssh2's
 * reads have no deadline: a server that stops answering after the key
 * exchange blocks a fetch forever. This transport does what libgit2 >= 1.8
 * does with its ssh_exec transport: it runs `ssh ... "git-upload-pack
 * '/path'"` (or git-receive-pack) as a child process and speaks the git
 * protocol over its stdin and stdout, which are non-blocking here and
 * polled no later than the deadline (upstream_stream.h); at the deadline,
 * or when libgit2 closes the transport, the child is killed and reaped.
 */
#ifndef REGIT_UPSTREAM_SSH_H
#define REGIT_UPSTREAM_SSH_H

/* How a handle's ssh process authenticates and checks the host. */
typedef struct regit_upstream_ssh_config {
	/* A private key file (`ssh -i FILE -o IdentitiesOnly=yes`); NULL: the
	 * agent ($SSH_AUTH_SOCK, inherited) and ssh's own default keys. */
	const char *key_file;
	/* A known_hosts file (`-o UserKnownHostsFile=FILE`); NULL: ssh's own
	 * (~/.ssh/known_hosts). Host keys are checked strictly either way:
	 * an unknown or changed key is refused, never added. */
	const char *known_hosts;
} regit_upstream_ssh_config;

/**
 * Register the transport with libgit2 for ssh://, ssh+git:// and
 * git+ssh:// (and so for scp-like user@host:path, which libgit2 1.5 sends
 * to whatever transport "ssh://" names). Once per process: libgit2 keeps
 * custom transports for the process's life and its list has no lock, so
 * this is called from regit_upstream_open, before any handle can fetch.
 * @return 0, REGIT_EIO
 */
int regit_upstream__ssh_install(void);

/** 1 when url is one of the ssh forms above (scp-like included). */
int regit_upstream__ssh_is_url(const char *url);

/**
 * Check an ssh URL at open time (no network): a host, a path, no password
 * (ssh runs in batch mode: keys only), nothing that ssh would take for an
 * option. @return 0, REGIT_EINVALID (message set)
 */
int regit_upstream__ssh_check_url(const char *url);

/**
 * Start an operation on this thread: ssh processes started until
 * regit_upstream__ssh_end use cfg (borrowed until then; NULL: defaults),
 * and the refusal flag is cleared.
 */
void regit_upstream__ssh_begin(const regit_upstream_ssh_config *cfg);

/**
 * End it: an ssh process this operation started and libgit2 left running
 * (it closes the transport only when the connection succeeded) is killed
 * and reaped, so none outlives the call.
 */
void regit_upstream__ssh_end(void);

/** 1 when an ssh process of this operation was refused by the server or by
 * ssh itself for authentication or the host key (ssh's words are in the
 * libgit2 error message): REGIT_EPERM rather than REGIT_EIO. */
int regit_upstream__ssh_refused(void);

#endif
