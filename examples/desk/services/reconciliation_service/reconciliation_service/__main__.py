from reconciliation_service.app import main

raise SystemExit(main())
