// Integration tests get a real control plane; wired by the control-plane work (hack/testcluster).
export default async function globalSetup(): Promise<void> {}
